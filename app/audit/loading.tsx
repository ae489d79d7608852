import { SkeletonRows } from '@/components/ui/states.tsx';

export default function Loading() {
  return (
    <div className="space-y-4">
      <div className="h-8 w-40 animate-pulse rounded bg-slate-200/70" />
      <SkeletonRows rows={8} label="Loading the audit log" />
    </div>
  );
}
