/**
 * The one place the authoring layer imports CDK Terrain: swapping it touches this file and the
 * generated L1 in constructs/.gen, nothing else.
 */
export { App, Lazy, TerraformStack, TerraformResource, TerraformProvider } from 'cdktn';
export type { AppConfig, IResolvable, ISynthesisSession, TerraformMetaArguments, TerraformProviderGeneratorMetadata } from 'cdktn';
// How a generated L1 synthesizes its attributes (l1-base.ts).
export {
  booleanToHclTerraform,
  booleanToTerraform,
  listMapper,
  listMapperHcl,
  numberToHclTerraform,
  numberToTerraform,
  stringToHclTerraform,
  stringToTerraform,
} from 'cdktn';
export { Construct } from 'constructs';
export type { IConstruct, IValidation } from 'constructs';
