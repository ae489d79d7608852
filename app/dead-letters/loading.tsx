import { SkeletonRows } from '@/components/ui/states.tsx';

export default function Loading() {
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Dead letters</h1>
      <SkeletonRows rows={8} label="Loading dead letters" />
    </div>
  );
}
