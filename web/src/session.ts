// Who is signed in, for every page: the key's name and scopes (buttons a key cannot use are not shown;
// the service refuses them anyway).
import { createContext, useContext } from 'react';
import type { Me } from './types';

export const SessionContext = createContext<Me>({ name: '', scopes: [] });

/** The signed-in key. */
export const useSession = (): Me => useContext(SessionContext);

/** Whether the key has `scope` (admin has every scope). */
export const can = (me: Me, scope: 'read' | 'run' | 'review' | 'admin'): boolean =>
  me.scopes.includes(scope) || me.scopes.includes('admin');

/** The section a key lands on: the tasks for a key that reads the library, the review queues for a reviewer's. */
export const homeSection = (me: Me): 'tasks' | 'review' =>
  !can(me, 'read') && can(me, 'review') ? 'review' : 'tasks';
