import { SkeletonRows } from '@/components/ui/states.tsx';

export default function Loading() {
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Trace a change</h1>
      <SkeletonRows rows={6} label="Loading the trace" />
    </div>
  );
}
