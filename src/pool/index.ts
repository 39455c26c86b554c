// `loadstone/pool`: being built (see the open issue); the public surface lands here.
export {};
