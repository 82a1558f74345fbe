// The frame around every page: the sign-in gate, the navigation, and the route table.
import { useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, currentKey, signIn, signOut } from './api';
import { ErrorBox, Loading } from './components/feedback';
import { href, useRoute } from './router';
import { SessionContext } from './session';
import type { Me } from './types';
import { TasksPage } from './pages/tasks';
import { TaskPage } from './pages/task';
import { DatasetPage } from './pages/dataset';
import { RunsPage } from './pages/runs';
import { RunPage } from './pages/run';
import { RunComparePage } from './pages/run-compare';
import { TracesPage } from './pages/traces';
import { TracePage } from './pages/trace';
import { MonitorPage } from './pages/monitor';
import { PlaygroundPage } from './pages/playground';

function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    try {
      const me = await api<Me>('/v1/me', { key: key.trim() });
      signIn(key.trim());
      onSignedIn(me);
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <h1>promptune</h1>
        <p>Sign in with an API key. It is kept in this tab only, until you close it.</p>
        <label>
          API key
          <input
            name="key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={(event) => setKey(event.target.value)}
            placeholder="pt_…"
            autoFocus
          />
        </label>
        <button type="submit" disabled={busy || !key.trim()}>
          Sign in
        </button>
        {error && <ErrorBox error={error} />}
        <p className="muted">
          No key yet? <code>npx promptune keys create --name me --scopes read,run</code> (add{' '}
          <code>admin</code> to move labels), or start the dashboard with <code>npx promptune ui</code>, which
          signs you in.
        </p>
      </form>
    </main>
  );
}

const sections: [string, string][] = [
  ['tasks', 'Tasks'],
  ['runs', 'Runs'],
  ['traces', 'Traces'],
  ['monitor', 'Monitor'],
  ['playground', 'Playground'],
];

function Frame({ me, children, section }: { me: Me; children: ReactNode; section: string }) {
  return (
    <div className="frame">
      <nav className="side">
        <a className="brand" href={href([])}>
          promptune
        </a>
        {sections.map(([path, title]) => (
          <a key={path} href={href([path])} className={section === path ? 'active' : undefined}>
            {title}
          </a>
        ))}
        <div className="who">
          <span title="the signed-in key">{me.name}</span>
          <span className="muted">{me.scopes.join(', ')}</span>
          <button
            className="link"
            onClick={() => {
              signOut();
              window.location.reload();
            }}
          >
            Sign out
          </button>
        </div>
      </nav>
      <main className="content">{children}</main>
    </div>
  );
}

function Page() {
  const { path, query } = useRoute();
  const [first = 'tasks', second, third, fourth] = path;
  if (first === 'tasks' && second && third === 'datasets' && fourth)
    return <DatasetPage task={second} id={fourth} />;
  if (first === 'tasks' && second) return <TaskPage name={second} query={query} />;
  if (first === 'compare')
    return (
      <RunComparePage
        ids={(query.get('runs') ?? '').split(',').filter(Boolean)}
        filter={query.get('filter') ?? 'differences'}
      />
    );
  if (first === 'runs' && second) return <RunPage id={second} query={query} />;
  if (first === 'runs') return <RunsPage query={query} />;
  if (first === 'traces' && second) return <TracePage id={second} />;
  if (first === 'traces') return <TracesPage query={query} />;
  if (first === 'monitor') return <MonitorPage query={query} />;
  if (first === 'playground') return <PlaygroundPage query={query} />;
  return <TasksPage />;
}

/** The dashboard. */
export function App() {
  const [me, setMe] = useState<Me | null>();
  const [error, setError] = useState<ApiError>();
  const { path } = useRoute();
  useEffect(() => {
    const forget = () => setMe(null);
    window.addEventListener('promptune:signed-out', forget);
    if (!currentKey()) setMe(null);
    else
      api<Me>('/v1/me')
        .then(setMe)
        .catch((caught: ApiError) => (caught.status === 401 ? setMe(null) : setError(caught)));
    return () => window.removeEventListener('promptune:signed-out', forget);
  }, []);
  if (error) return <ErrorBox error={error} />;
  if (me === undefined) return <Loading />;
  if (me === null) return <SignIn onSignedIn={setMe} />;
  return (
    <SessionContext.Provider value={me}>
      <Frame me={me} section={path[0] === 'compare' ? 'runs' : (path[0] ?? 'tasks')}>
        <Page />
      </Frame>
    </SessionContext.Provider>
  );
}
