export declare const SOURCE_DIRS: string[];
export declare const SOURCE_FILES: string[];
/** The newest modification time (ms) among the sources under `root`; 0 when none exists. */
export declare function newestSourceMtime(root: string): number;
