import Link from 'next/link';

export default function Forbidden() {
  return (
    <div className="mx-auto mt-12 max-w-lg space-y-3">
      <p className="text-sm font-semibold text-red-700">403 · Not allowed</p>
      <h1 className="text-2xl font-semibold">Your role cannot open this page</h1>
      <p className="text-sm text-slate-600">
        Each area of DashOps is for one kind of user. If you need this one, ask an admin to change your role.
      </p>
      <Link href="/" className="inline-block rounded border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-100">
        Back to the home page
      </Link>
    </div>
  );
}
