export function cliReference(): string;
