/**
 * Streaming XML for seed files: a strict SAX parser (saxes: XML 1.0 and namespaces, no DTD
 * entity expansion) that hands over each child element of the document element as a small
 * tree once it is complete, and forgets it. A PSKC file of 100,000 keys is read one
 * KeyPackage at a time, in bounded memory; a DOM of the whole file took about 27 bytes of
 * memory per byte of XML, and a long comment overflowed its parser's stack.
 *
 * @example
 * ```ts
 * const reader = new XmlChildStream((root) => checkRoot(root), (el) => handle(el));
 * for (const chunk of chunks) reader.write(chunk);
 * reader.close();
 * ```
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';

/** An element with what seed files need of it: names, attributes, children and text. */
export class XmlElement {
  readonly localName: string;
  readonly namespaceURI: string;
  readonly children: XmlElement[] = [];
  readonly #attributes: Map<string, string>;
  /** Text directly inside this element (not in its children). */
  ownText = '';

  constructor(localName: string, namespaceURI: string, attributes: Map<string, string>) {
    this.localName = localName;
    this.namespaceURI = namespaceURI;
    this.#attributes = attributes;
  }

  /** An attribute without a namespace prefix, by local name; null when absent (as the DOM's). */
  getAttribute(name: string): string | null {
    return this.#attributes.get(name) ?? null;
  }

  /** All the text in this element and its descendants, in document order (the DOM's textContent). */
  get textContent(): string {
    let out = '';
    // Depth is bounded by the stream (MAX_XML_DEPTH), but walk without recursion anyway.
    const stack: (XmlElement | string)[] = [this];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (typeof next === 'string') {
        out += next;
        continue;
      }
      out += next.ownText;
      for (let i = next.children.length - 1; i >= 0; i--) stack.push(next.children[i]!);
    }
    return out;
  }
}

/** How deep elements may nest (PSKC needs 7); deeper is not a seed file. */
export const MAX_XML_DEPTH = 32;
/** The most text one element may hold (a PSKC value is a few hundred bytes). */
export const MAX_XML_TEXT = 64 * 1024;

/** Why a document is refused; the caller words it for its format. */
export class XmlStreamError extends Error {
  override readonly name = 'XmlStreamError';
}

/**
 * Feeds chunks of a document to a SAX parser. `onRoot` sees the document element as soon as
 * it opens (attributes only); `onChild` sees each of its child elements once closed, whole.
 */
export class XmlChildStream {
  readonly #parser = new SaxesParser({ xmlns: true });
  readonly #stack: XmlElement[] = [];
  #sawRoot = false;

  constructor(onRoot: (root: XmlElement) => void, onChild: (child: XmlElement) => void) {
    const p = this.#parser;
    p.on('opentag', (tag) => {
      if (this.#stack.length >= MAX_XML_DEPTH) throw new XmlStreamError(`elements nested more than ${MAX_XML_DEPTH} deep`);
      const el = element(tag as SaxesTagNS);
      const parent = this.#stack.at(-1);
      if (parent === undefined) {
        this.#sawRoot = true;
        onRoot(el);
      } else if (this.#stack.length > 1) {
        // Below a child of the root: part of the subtree being collected.
        parent.children.push(el);
      }
      this.#stack.push(el);
    });
    p.on('closetag', () => {
      const el = this.#stack.pop();
      if (el !== undefined && this.#stack.length === 1) onChild(el);
    });
    const addText = (text: string): void => {
      // Text of the root itself (whitespace between its children) is never needed.
      const el = this.#stack.length > 1 ? this.#stack.at(-1) : undefined;
      if (el === undefined) return;
      if (el.ownText.length + text.length > MAX_XML_TEXT) throw new XmlStreamError(`the text of <${el.localName}> is longer than ${MAX_XML_TEXT} characters`);
      el.ownText += text;
    };
    p.on('text', addText);
    p.on('cdata', addText);
    p.on('error', (e) => {
      throw new XmlStreamError(e.message.split('\n')[0]!);
    });
  }

  /** Parse the next chunk; throws XmlStreamError (or what a callback throws). */
  write(chunk: string): void {
    this.#parser.write(chunk);
  }

  /** The document ended; throws when it is truncated or empty. */
  close(): void {
    this.#parser.close();
    if (!this.#sawRoot) throw new XmlStreamError('the document is empty');
  }
}

function element(tag: SaxesTagNS): XmlElement {
  const attributes = new Map<string, string>();
  for (const a of Object.values(tag.attributes)) if (a.prefix === '' || a.uri === '') attributes.set(a.local, a.value);
  return new XmlElement(tag.local, tag.uri, attributes);
}
