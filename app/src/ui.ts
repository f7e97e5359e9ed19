// Small DOM helpers and the notice area (every action reports its pending, confirmed or failed state there).
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    else if (k === "testid") el.dataset.testid = String(v);
    else if (k === "value" && "value" in el) (el as HTMLInputElement).value = String(v);
    else if (k === "checked") (el as HTMLInputElement).checked = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h("label", { class: "field" }, h("span", {}, label), input, hint ? h("small", {}, hint) : null);
}

const MAX_NOTICES = 8;

export type NoticeKind = "info" | "pending" | "success" | "error" | "warning";

export interface Notice {
  set(kind: NoticeKind, ...content: Child[]): void;
  remove(): void;
}

/** Adds a message to the notice area; errors stay until dismissed, others fade after a while. */
export function notice(kind: NoticeKind, ...content: Child[]): Notice {
  const area = document.getElementById("notices")!;
  const body = h("span", { class: "text" });
  const close = h("button", { class: "close", title: "dismiss", onclick: () => el.remove() }, "×");
  const el = h("div", { class: `notice ${kind}`, testid: "notice", "data-kind": kind }, body, close);
  let timer: number | undefined;
  const set = (k: NoticeKind, ...c: Child[]) => {
    el.className = `notice ${k}`;
    el.dataset.kind = k;
    replace(body, ...c);
    if (timer) clearTimeout(timer);
    if (k === "success" || k === "info") timer = window.setTimeout(() => el.remove(), 20_000);
  };
  set(kind, ...content);
  area.prepend(el);
  // Keep the area readable: the oldest finished messages go first once there are many.
  const finished = [...area.children].filter((c) => (c as HTMLElement).dataset.kind !== "pending");
  for (const old of finished.slice(MAX_NOTICES)) old.remove();
  return { set, remove: () => el.remove() };
}

/** Runs `fn` with `button` disabled, so an action cannot be started twice while it is pending. */
export async function busy<T>(button: HTMLButtonElement, fn: () => Promise<T>): Promise<T> {
  button.disabled = true;
  try {
    return await fn();
  } finally {
    button.disabled = false;
  }
}
