'use client';

import { createContext, useContext, type ReactNode } from 'react';

/** Whether the signed-in user may change anything (false for a read-only role): pages hide their actions when not. */
const CanChangeContext = createContext(true);

export function CanChangeProvider({ value, children }: { value: boolean; children: ReactNode }) {
  return <CanChangeContext.Provider value={value}>{children}</CanChangeContext.Provider>;
}

export function useCanChange(): boolean {
  return useContext(CanChangeContext);
}

/** Renders its children only for users who may change things; the API refuses read-only roles (403) either way. */
export function WhenCanChange({ children }: { children: ReactNode }) {
  return useCanChange() ? children : null;
}
