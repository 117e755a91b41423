export function buildNode(entries?: Record<string, string>): Promise<void>;
