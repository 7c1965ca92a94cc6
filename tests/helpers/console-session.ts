/** A console session as a browser holds it: the cookie from the login form and the page's CSRF field. */
export type ConsoleSession = { cookie: string; csrf: string };

export async function consoleLogin(url: string, username: string, password: string): Promise<ConsoleSession> {
  const res = await fetch(`${url}/admin/login`, { method: "POST", body: new URLSearchParams({ username, password, next: "/admin/" }), redirect: "manual" });
  if (res.status !== 303) throw new Error(`console login ${username}: ${res.status}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const page = await (await fetch(`${url}/admin/`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? "" };
}

export const getPage = (url: string, s: ConsoleSession, path: string) => fetch(`${url}${path}`, { headers: { cookie: s.cookie }, redirect: "manual" });

export const postForm = (url: string, s: ConsoleSession, path: string, form: Record<string, string>) =>
  fetch(`${url}${path}`, { method: "POST", headers: { cookie: s.cookie }, body: new URLSearchParams({ _csrf: s.csrf, ...form }), redirect: "manual" });
