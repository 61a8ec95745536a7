/**
 * The one place the authoring layer imports CDK Terrain: swapping it touches this file and the
 * generated L1 in constructs/.gen, nothing else.
 */
export { App, Lazy, TerraformStack, TerraformResource, TerraformProvider } from 'cdktn';
export type { AppConfig, IResolvable, ISynthesisSession, TerraformMetaArguments } from 'cdktn';
export { Construct } from 'constructs';
export type { IConstruct, IValidation } from 'constructs';
