/**
 * The browser's globals as far as the functions the dashboard tests run in the page (`page.evaluate`) use
 * them: the tests compile without the DOM library, so these are declared here once. Only code that runs in
 * the page may use them.
 */
export {};

interface PageElement {
  readonly textContent: string | null;
  readonly classList: { contains(name: string): boolean };
  getAttribute(name: string): string | null;
}

declare global {
  const document: {
    readonly body: PageElement;
    readonly activeElement: PageElement | null;
    readonly scrollingElement: { readonly scrollWidth: number } | null;
    readonly scripts: { readonly length: number };
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): { readonly length: number };
  };
  const window: { readonly innerWidth: number; readonly __xss?: number };
}
