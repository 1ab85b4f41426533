import { forwardRef, useState } from 'react';
import { useI18n } from '../i18n';

/** What a command did: ok, or refused with a message in the UI's language. */
export interface CommandResult {
  ok: boolean;
  message: string;
}

/**
 * The dispatcher's command line (F3): `D <unit> [incident]`, `S <unit> <status>`, `C`, `X`, `G`,
 * `R`, `N`, `P`, `L`, `A`, `F`, `M`, `?` (dispatch-logic.ts parses them). Enter runs the line and
 * shows what happened; ↑ recalls the previous lines; Esc leaves the line.
 */
export const CommandBar = forwardRef<HTMLInputElement, { run: (line: string) => Promise<CommandResult> }>(function CommandBar({ run }, ref) {
  const { t } = useI18n();
  const [line, setLine] = useState('');
  const [result, setResult] = useState<CommandResult & { line: string }>();
  const [history, setHistory] = useState<string[]>([]);
  const [back, setBack] = useState(-1);
  const [busy, setBusy] = useState(false);
  return (
    <div className="command-bar">
      <label className="command-label" htmlFor="desk-command">
        {t('commandLine')} <kbd>F3</kbd>
      </label>
      <input
        id="desk-command"
        ref={ref}
        className="command-input"
        value={line}
        placeholder={t('commandPlaceholder')}
        autoComplete="off"
        spellCheck={false}
        disabled={busy}
        data-testid="command-line"
        onChange={(e) => setLine(e.target.value)}
        onKeyDown={async (e) => {
          if (e.key === 'ArrowUp' && history.length) {
            e.preventDefault();
            const b = Math.min(back + 1, history.length - 1);
            setBack(b);
            setLine(history[b]!);
          } else if (e.key === 'Escape') {
            setLine('');
            (e.target as HTMLInputElement).blur();
          } else if (e.key === 'Enter' && line.trim()) {
            e.preventDefault();
            setBusy(true);
            const r = await run(line);
            setBusy(false);
            setResult({ ...r, line });
            setHistory((h) => [line, ...h.filter((x) => x !== line)].slice(0, 20));
            setBack(-1);
            if (r.ok) setLine('');
            requestAnimationFrame(() => (ref as { current: HTMLInputElement | null })?.current?.focus());
          }
        }}
      />
      {result && (
        <span className={`command-result ${result.ok ? 'ok-text' : 'bad-text'}`} data-testid="command-result" data-state={result.ok ? 'ok' : 'error'} title={result.line}>
          {result.ok ? '✔' : '✖'} {result.message}
        </span>
      )}
    </div>
  );
});
