export * from './embedding-record.codec';
export * from './stream.replica';
