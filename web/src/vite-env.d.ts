/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Optional API origin; unset = same origin. */
  readonly VITE_API_BASE?: string;
}
