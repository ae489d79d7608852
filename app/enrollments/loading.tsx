import { SkeletonRows } from '@/components/ui/states.tsx';

export default function Loading() {
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Enrollments</h1>
      <SkeletonRows rows={5} label="Loading enrollments" />
    </div>
  );
}
