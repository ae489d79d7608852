import type { ButtonHTMLAttributes, Ref } from 'react';

/** The console's button looks: a page picks one instead of writing its own class string. */
export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'danger-outline' | 'link';
export type ButtonSize = 'xs' | 'sm' | 'md' | 'lg';

const VARIANTS: Record<ButtonVariant, string> = {
  primary: 'rounded bg-slate-900 font-medium text-white hover:bg-slate-700',
  secondary: 'rounded border border-slate-300 bg-white font-medium text-slate-900 hover:bg-slate-100',
  danger: 'rounded bg-red-700 font-medium text-white hover:bg-red-800',
  'danger-outline': 'rounded border border-red-300 bg-white font-medium text-red-800 hover:bg-red-50',
  link: 'rounded font-medium text-blue-800 underline underline-offset-2 hover:text-blue-950',
};

// The link look has no box, so it takes only the text size.
const SIZES: Record<ButtonSize, string> = {
  xs: 'px-2 py-0.5 text-xs',
  sm: 'px-2.5 py-1 text-sm',
  md: 'px-3 py-1.5 text-sm',
  lg: 'px-4 py-2 text-sm',
};
const LINK_SIZES: Record<ButtonSize, string> = { xs: 'text-xs', sm: 'text-sm', md: 'text-sm', lg: 'text-base' };

/** The class string of a button look, for an element that must stay a <Link> or a <summary> but look like a button. */
export function buttonClassName({ variant = 'secondary', size = 'md', className }: { variant?: ButtonVariant; size?: ButtonSize; className?: string } = {}): string {
  const sizing = variant === 'link' ? LINK_SIZES[size] : SIZES[size];
  return [VARIANTS[variant], sizing, 'disabled:cursor-not-allowed disabled:opacity-60', className].filter(Boolean).join(' ');
}

export type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: ButtonVariant;
  size?: ButtonSize;
  /** While true the button is disabled, marked busy, and shows `loadingText` (when given) instead of its label. */
  loading?: boolean;
  loadingText?: string;
  ref?: Ref<HTMLButtonElement>;
};

/** A <button> with one of the console's looks; type="button" unless told otherwise, so it never submits a form by accident. */
export function Button({ variant, size, loading = false, loadingText, disabled, className, type = 'button', children, ...rest }: ButtonProps) {
  return (
    <button
      {...rest}
      type={type}
      disabled={disabled || loading}
      aria-busy={loading || undefined}
      className={buttonClassName({ variant, size, className })}
    >
      {loading && loadingText ? loadingText : children}
    </button>
  );
}
