/** Superseded, in words: what happened, why it is right, and that nothing more is needed. */
export function SupersededNote({ subProcessor, rowKey }: { subProcessor: string; rowKey: string | null }) {
  return (
    <p className="rounded border border-sky-200 bg-sky-50 p-3 text-sm text-sky-950">
      <strong>Superseded, not applied.</strong> By the time this message was replayed, <code>{subProcessor}</code> had already processed a{' '}
      <em>newer</em> version of the same row{rowKey ? <> (<code className="break-all">{rowKey}</code>)</> : null}. Applying this older version
      would have moved the downstream state backwards, so it was skipped. The newer version already carries the row&apos;s current state:
      nothing more needs doing.
    </p>
  );
}
