// Any screen may ask who is using the window: the header's sign-in dialog opens.
export const signIn = { open: () => {} };
