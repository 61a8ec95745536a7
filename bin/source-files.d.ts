/** The newest modification time (ms) among the sources under `root`; 0 when none exists. */
export declare function newestSourceMtime(root: string): number;
