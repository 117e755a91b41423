export function buildNode(entries?: Record<string, string>): Promise<void>;
export function buildPackage(): Promise<void>;
