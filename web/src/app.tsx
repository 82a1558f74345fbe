// The frame around every page: the sign-in gate, the navigation, and the route table.
import { useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, currentKey, signIn, signOut } from './api';
import { ErrorBox, Loading } from './components/feedback';
import { href, useRoute } from './router';
import { can, homeSection, SessionContext, useSession } from './session';
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
import { ReviewQueuesPage } from './pages/review-queues';
import { ReviewPage } from './pages/review';
import { ReviewAgreementPage } from './pages/review-agreement';
import { ExperimentsPage } from './pages/experiments';
import { ExperimentPage } from './pages/experiment';
import { JobPage, JobsPage } from './pages/jobs';

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
          <code>admin</code> to move labels; a reviewer needs only <code>review</code>), or start the
          dashboard with <code>npx promptune ui</code>, which signs you in.
        </p>
      </form>
    </main>
  );
}

// each section with the scope its pages need: a reviewer's key sees Review only
const sections: [string, string, 'read' | 'review'][] = [
  ['tasks', 'Tasks', 'read'],
  ['runs', 'Runs', 'read'],
  ['traces', 'Traces', 'read'],
  ['monitor', 'Monitor', 'read'],
  ['experiments', 'Experiments', 'read'],
  ['jobs', 'Jobs', 'read'],
  ['playground', 'Playground', 'read'],
  ['review', 'Review', 'review'],
];

function Frame({ me, children, section }: { me: Me; children: ReactNode; section: string }) {
  return (
    <div className="frame">
      <nav className="side">
        <a className="brand" href={href([])}>
          promptune
        </a>
        {sections
          .filter(([, , scope]) => can(me, scope))
          .map(([path, title]) => (
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
  const me = useSession();
  const [first = homeSection(me), second, third, fourth] = path;
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
  if (first === 'experiments' && second) return <ExperimentPage key={second} id={second} />;
  if (first === 'experiments') return <ExperimentsPage query={query} />;
  if (first === 'jobs' && second) return <JobPage key={second} id={second} />;
  if (first === 'jobs') return <JobsPage query={query} />;
  if (first === 'playground') return <PlaygroundPage query={query} />;
  if (first === 'review' && second && third === 'agreement')
    return <ReviewAgreementPage key={second} name={second} />;
  if (first === 'review' && second) {
    const disputes = query.get('disputes') === '1';
    return <ReviewPage key={`${second}${disputes ? ' disputes' : ''}`} name={second} disputes={disputes} />;
  }
  if (first === 'review' || homeSection(me) === 'review') return <ReviewQueuesPage />;
  return <TasksPage />;
}

/** A key offered by the address while another is signed in: switch only when the user says so. */
function SwitchKey(props: { offered: Me; current: Me; onSwitch: () => void; onKeep: () => void }) {
  return (
    <main className="sign-in">
      <form onSubmit={(event) => event.preventDefault()}>
        <h1>Switch keys?</h1>
        <p>
          The address you opened signs in as <b>{props.offered.name}</b> ({props.offered.scopes.join(', ')}).
          This tab is signed in as <b>{props.current.name}</b> ({props.current.scopes.join(', ')}).
        </p>
        <p className="muted">What you run from the playground is recorded under the signed-in key.</p>
        <button type="button" onClick={props.onSwitch}>
          Sign in as {props.offered.name}
        </button>
        <button type="button" className="toggle" onClick={props.onKeep}>
          Stay {props.current.name}
        </button>
      </form>
    </main>
  );
}

/** The key the address offered, checked: signed in at once when the tab has none, else offered. */
async function acceptOffered(
  offered: string,
): Promise<{ me: Me } | { choice: { offered: Me; current: Me } }> {
  const offeredMe = await api<Me>('/v1/me', { key: offered });
  const current = currentKey();
  if (!current || current === offered) {
    signIn(offered);
    return { me: offeredMe };
  }
  const currentMe = await api<Me>('/v1/me', { key: current }).catch(() => undefined);
  if (!currentMe) {
    signIn(offered);
    return { me: offeredMe };
  }
  return { choice: { offered: offeredMe, current: currentMe } };
}

/** The dashboard; `offeredKey` came in the address (`promptune ui` prints one). */
export function App({ offeredKey }: { offeredKey?: string }) {
  const [me, setMe] = useState<Me | null>();
  const [choice, setChoice] = useState<{ offered: Me; current: Me }>();
  const [error, setError] = useState<ApiError>();
  const { path } = useRoute();
  useEffect(() => {
    const forget = () => setMe(null);
    window.addEventListener('promptune:signed-out', forget);
    const signedIn = () =>
      currentKey()
        ? api<Me>('/v1/me')
            .then(setMe)
            .catch((caught: ApiError) => (caught.status === 401 ? setMe(null) : setError(caught)))
        : setMe(null);
    if (offeredKey)
      acceptOffered(offeredKey)
        .then((result) => ('me' in result ? setMe(result.me) : setChoice(result.choice)))
        .catch((caught: ApiError) => {
          setError(caught);
        });
    else void signedIn();
    return () => window.removeEventListener('promptune:signed-out', forget);
  }, [offeredKey]);
  if (error)
    return (
      <main className="sign-in">
        <form onSubmit={(event) => event.preventDefault()}>
          <h1>promptune</h1>
          <ErrorBox error={error} />
          {error.code === 'AUTH_SCOPE' && <p>The dashboard needs a key with the read or review scope.</p>}
          <button
            type="button"
            onClick={() => {
              signOut();
              window.location.replace(`${window.location.pathname}#/`);
              window.location.reload();
            }}
          >
            Sign in with another key
          </button>
        </form>
      </main>
    );
  if (choice)
    return (
      <SwitchKey
        offered={choice.offered}
        current={choice.current}
        onSwitch={() => {
          signIn(offeredKey!);
          setChoice(undefined);
          setMe(choice.offered);
        }}
        onKeep={() => {
          setChoice(undefined);
          setMe(choice.current);
        }}
      />
    );
  if (me === undefined) return <Loading />;
  if (me === null) return <SignIn onSignedIn={setMe} />;
  return (
    <SessionContext.Provider value={me}>
      <Frame me={me} section={path[0] === 'compare' ? 'runs' : (path[0] ?? homeSection(me))}>
        <Page />
      </Frame>
    </SessionContext.Provider>
  );
}
