export function startDemoServer(port?: number): Promise<{ server: import('node:http').Server; url: string }>;
export function buildDemo(): Promise<void>;
