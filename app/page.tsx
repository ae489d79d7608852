import { HealthPanel } from '@/components/health-panel.tsx';

export default function HomePage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">System health</h1>
        <p className="mt-1 text-sm text-slate-600">
          Live status of the services DashOps runs on. Refreshes every few seconds while this tab is visible.
        </p>
      </div>
      <HealthPanel />
    </div>
  );
}
