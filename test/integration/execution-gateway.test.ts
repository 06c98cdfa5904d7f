// The execution suite again, its kernels on a remote engine (a real Jupyter Server) through the gateway provider.
process.env.COHORT_TEST_KERNELS = 'gateway';
await import('./execution.test.ts');
