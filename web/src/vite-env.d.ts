// Vite's module types (CSS imports, import.meta.env) for the dashboard.
/// <reference types="vite/client" />
