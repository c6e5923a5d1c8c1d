import { useEffect, useState } from 'react';

/**
 * A hash router (`#/m/<id>`): the page URL itself (with DingTalk's `?corpId=`) never changes, so
 * reloads and the DingTalk container's back button keep working without server routes.
 */

export interface Route {
  path: string;
  parts: string[];
  query: URLSearchParams;
}

function current(): Route {
  const hash = window.location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  return {
    path: path || '/',
    parts: (path || '/').split('/').filter(Boolean),
    query: new URLSearchParams(search),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const on = () => setRoute(current());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

let depth = 0;

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = `${window.location.pathname}${window.location.search}#${path}`;
  if (options.replace) {
    window.history.replaceState(null, '', url);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    depth += 1;
    window.location.hash = path;
  }
}

/** Back within the app when we came from one of its pages, else to `fallback`. */
export function goBack(fallback = '/'): void {
  if (depth > 0) {
    depth -= 1;
    window.history.back();
  } else {
    navigate(fallback, { replace: true });
  }
}
