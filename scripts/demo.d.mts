export function startDemoServer(port?: number): Promise<{ server: import('node:http').Server; url: string }>;
export function buildDemo(): Promise<void>;
export function servedFile(url: string): string | null;
