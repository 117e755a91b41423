export function buildNode(entries?: Record<string, string>, opts?: { quiet?: boolean }): Promise<void>;
export function buildPackage(): Promise<void>;
