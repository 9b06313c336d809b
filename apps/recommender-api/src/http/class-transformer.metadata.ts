import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';

/**
 * class-transformer keeps its decorators' metadata (@Type, @Transform, @Expose, @Exclude) in this
 * singleton, which its index does not re-export; RequestDtoConverter reads it once per DTO class.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- no typed entry point for it
const storage = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

export const classTransformerMetadata: MetadataStorage = storage.defaultMetadataStorage;
