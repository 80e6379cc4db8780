import { describeDriverConformance } from '@stowage/storage-core/testing';
import { createMemoryDriver } from '../src/index.js';

describeDriverConformance('memory (presigned URLs served in-process, public base)', {
  async createDriver() {
    return createMemoryDriver({ publicBaseUrl: 'https://cdn.example.com/media' });
  },
});

describeDriverConformance('memory (no public base)', {
  async createDriver() {
    return createMemoryDriver();
  },
});
