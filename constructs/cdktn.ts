/**
 * The one place the authoring layer imports CDK Terrain (DESIGN D1): swapping it touches this
 * file and the generated L1 in constructs/.gen, nothing else.
 */
export { App, TerraformStack, TerraformResource, TerraformProvider } from 'cdktn';
export type { AppConfig } from 'cdktn';
export { Construct } from 'constructs';
export type { IConstruct, IValidation } from 'constructs';
