/**
 * Model answers are untrusted: markdown -> HTML with marked, then DOMPurify, always in
 * this order, so HTML or script written by a model never runs. Links open in a new tab
 * without referrer or opener; the CSP blocks whatever else might slip through.
 */
import DOMPurify from "dompurify";
import { marked } from "marked";

marked.setOptions({ gfm: true, breaks: true, async: false });

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
