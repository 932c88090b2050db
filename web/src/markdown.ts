/**
 * Model answers are untrusted: markdown -> HTML with marked, then DOMPurify, always in
 * this order, so HTML or script written by a model never runs. Raw HTML inside the
 * markdown is shown as text (escaped), not passed through: the reader sees what the model
 * wrote, and DOMPurify's inert parse never even meets an event-handler attribute (Chromium
 * reports those as CSP violations even in a DOMParser document). Links open in a new tab
 * without referrer or opener; the CSP blocks whatever else might slip through.
 */
import DOMPurify from "dompurify";
import { marked } from "marked";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

marked.use({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    // Block and inline raw HTML: displayed literally.
    html({ text }) {
      return escapeHtml(text);
    },
  },
});

const ALLOWED_URL = /^(?:https?:|mailto:|#)/i;

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    const href = node.getAttribute("href") ?? "";
    if (!ALLOWED_URL.test(href)) node.removeAttribute("href");
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
  if (node.tagName === "IMG") {
    // Remote images would leak the reader's IP to anyone a model names (and the CSP
    // refuses them anyway): keep the alt text only.
    const src = node.getAttribute("src") ?? "";
    if (!src.startsWith("data:image/")) node.removeAttribute("src");
  }
});

const PURIFY_CONFIG = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "svg", "math"],
  FORBID_ATTR: ["style", "class", "id", "srcset"],
  ALLOW_DATA_ATTR: false,
};

/** Sanitized HTML for a markdown text. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false }) as string;
  return DOMPurify.sanitize(html, PURIFY_CONFIG) as unknown as string;
}

/** Replaces `el`'s content with the rendered markdown of `text`. */
export function renderInto(el: HTMLElement, text: string): void {
  el.innerHTML = renderMarkdown(text);
}
