// The worker-thread side of WorkerThreadPool; being built.
export {};
