/** libgit2 object type numbers. */
export const ObjectTypes = { commit: 1, tree: 2, blob: 3 } as const;
export type ObjectType = (typeof ObjectTypes)[keyof typeof ObjectTypes];
