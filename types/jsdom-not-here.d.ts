// Nothing of this repository's TypeScript runs in jsdom. Vitest's optional types import `jsdom`,
// and since the Salesforce package's LWC tests (jest, in a browser-like jsdom) installed
// @types/jsdom, that import pulled the DOM's lib into every file, whose fetch types clash with
// Node's (undici's). tsconfig.json points `jsdom` here instead: an empty module.
export {};
