export * from './elementwise';
export * from './reduce';
export * from './matmul';
export * from './dropout_mask';
export * from './argmax';
export * from './adam';
export * from './composite';
export * from './prune_mask';
