/** GraphIndex lives in the model layer, so the SQL compiler need not import src/graph. */
export { GraphIndex } from '../model/graph-index.js';
