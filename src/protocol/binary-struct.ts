/**
 * Fixed-layout binary structs described as one table each: the field names a specification
 * uses, in wire order, with their types. The table is the single source of the layout: the
 * encoder, the decoder and the offsets the layout tests compare with the documents all come
 * from it. Used for USB descriptors (USB 2.0 ch. 9, HID 1.11, CDC 1.2), the USB/IP messages
 * (Documentation/usb/usbip_protocol.rst) and uhid events (include/uapi/linux/uhid.h).
 *
 * @example
 * ```ts
 * const SETUP = defineStruct('usb_ctrlrequest', [
 *   ['bRequestType', u8], ['bRequest', u8], ['wValue', u16le], ['wIndex', u16le], ['wLength', u16le],
 * ]);
 * SETUP.size;                                            // 8
 * SETUP.decode(bytes).wLength;                           // a number
 * SETUP.encode({ bRequestType: 0x80, bRequest: 6, wValue: 0x0100, wIndex: 0, wLength: 18 });
 * ```
 */

/** How one field is stored. */
export interface FieldType<V> {
  /** Bytes the field occupies. */
  readonly size: number;
  /** A short name for tables and messages: `u16le`, `char[32]`. */
  readonly label: string;
  read(view: DataView, offset: number): V;
  write(view: DataView, offset: number, value: V, field: string): void;
}

function unsigned(bits: 8 | 16 | 32, littleEndian: boolean): FieldType<number> {
  const size = bits / 8;
  const max = 2 ** bits - 1;
  return {
    size,
    label: bits === 8 ? 'u8' : `u${bits}${littleEndian ? 'le' : 'be'}`,
    read: (v, o) => (bits === 8 ? v.getUint8(o) : bits === 16 ? v.getUint16(o, littleEndian) : v.getUint32(o, littleEndian)),
    write: (v, o, value, field) => {
      if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${field} must be an integer in 0..${max}, got ${value}`);
      if (bits === 8) v.setUint8(o, value);
      else if (bits === 16) v.setUint16(o, value, littleEndian);
      else v.setUint32(o, value, littleEndian);
    },
  };
}

function signed32(littleEndian: boolean): FieldType<number> {
  return {
    size: 4,
    label: `i32${littleEndian ? 'le' : 'be'}`,
    read: (v, o) => v.getInt32(o, littleEndian),
    write: (v, o, value, field) => {
      if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) throw new RangeError(`${field} must be a 32-bit signed integer, got ${value}`);
      v.setInt32(o, value, littleEndian);
    },
  };
}

export const u8 = unsigned(8, true);
export const u16le = unsigned(16, true);
export const u16be = unsigned(16, false);
export const u32le = unsigned(32, true);
export const u32be = unsigned(32, false);
export const i32be = signed32(false);

/** `n` raw bytes; a shorter value is zero-padded, a longer one refused. */
export function bytes(n: number): FieldType<Uint8Array> {
  return {
    size: n,
    label: `u8[${n}]`,
    read: (v, o) => new Uint8Array(v.buffer.slice(v.byteOffset + o, v.byteOffset + o + n)),
    write: (v, o, value, field) => {
      if (!(value instanceof Uint8Array)) throw new TypeError(`${field} must be a Uint8Array`);
      if (value.length > n) throw new RangeError(`${field} holds at most ${n} bytes, got ${value.length}`);
      new Uint8Array(v.buffer, v.byteOffset + o, n).set(value);
    },
  };
}

/**
 * A C string in a fixed `char[n]` array: ASCII, closed with a zero byte and zero-filled (so at
 * most n − 1 characters). Reading stops at the first zero byte.
 */
export function cstring(n: number): FieldType<string> {
  return {
    size: n,
    label: `char[${n}]`,
    read: (v, o) => {
      let s = '';
      for (let i = 0; i < n; i++) {
        const c = v.getUint8(o + i);
        if (c === 0) break;
        s += String.fromCharCode(c);
      }
      return s;
    },
    write: (v, o, value, field) => {
      if (typeof value !== 'string') throw new TypeError(`${field} must be a string`);
      if (value.length > n - 1 || [...value].some((ch) => ch.charCodeAt(0) < 1 || ch.charCodeAt(0) > 0x7f)) throw new RangeError(`${field} must be ASCII of at most ${n - 1} characters`);
      for (let i = 0; i < n; i++) v.setUint8(o + i, i < value.length ? value.charCodeAt(i) : 0);
    },
  };
}

/** One row of a struct table: the field's name as the specification spells it, and its type. */
export type FieldSpec = readonly [name: string, type: FieldType<never> | FieldType<number> | FieldType<string> | FieldType<Uint8Array>];

type ValueOfType<T> = T extends FieldType<infer V> ? V : never;

/** The plain object a struct encodes from and decodes to. */
export type StructValue<F extends readonly FieldSpec[]> = { [E in F[number] as E[0]]: ValueOfType<E[1]> };

/** A field with its place in the struct. */
export interface PlacedField {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly label: string;
}

export interface Struct<F extends readonly FieldSpec[]> {
  /** The struct's name in its specification (`usb_device_descriptor`, `OP_REP_IMPORT`). */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** The fields with their offsets, in wire order. */
  readonly fields: readonly PlacedField[];
  /** Offset of a field; RangeError for an unknown name. */
  offsetOf(field: F[number][0]): number;
  /** Encode into a new buffer, or into `target` at `offset`. RangeError names a bad field. */
  encode(value: StructValue<F>, target?: Uint8Array, offset?: number): Uint8Array;
  /** Decode from `bytes` at `offset`; RangeError when fewer than `size` bytes are there. */
  decode(bytes: Uint8Array, offset?: number): StructValue<F>;
}

/** Define a struct from its table. Field names must be unique. */
export function defineStruct<const F extends readonly FieldSpec[]>(name: string, table: F): Struct<F> {
  const placed: (PlacedField & { type: FieldType<unknown> })[] = [];
  let size = 0;
  for (const [fieldName, type] of table) {
    if (placed.some((p) => p.name === fieldName)) throw new Error(`${name}: field ${fieldName} twice`);
    placed.push({ name: fieldName, offset: size, size: type.size, label: type.label, type: type as FieldType<unknown> });
    size += type.size;
  }
  const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    name,
    size,
    fields: placed.map(({ name: n, offset, size: s, label }) => ({ name: n, offset, size: s, label })),
    offsetOf(field) {
      const f = placed.find((p) => p.name === field);
      if (f === undefined) throw new RangeError(`${name} has no field ${String(field)}`);
      return f.offset;
    },
    encode(value, target, offset = 0) {
      const out = target ?? new Uint8Array(size + offset);
      if (out.length < offset + size) throw new RangeError(`${name}: ${size} bytes do not fit at offset ${offset} of ${out.length}`);
      const v = view(out);
      const record = value as Record<string, unknown>;
      for (const f of placed) {
        if (!(f.name in record)) throw new TypeError(`${name}.${f.name} is missing`);
        (f.type.write as (v: DataView, o: number, x: unknown, field: string) => void)(v, offset + f.offset, record[f.name], `${name}.${f.name}`);
      }
      return out;
    },
    decode(bytes, offset = 0) {
      if (bytes.length < offset + size) throw new RangeError(`${name} needs ${size} bytes, got ${Math.max(0, bytes.length - offset)}`);
      const v = view(bytes);
      const out: Record<string, unknown> = {};
      for (const f of placed) out[f.name] = f.type.read(v, offset + f.offset);
      return out as StructValue<F>;
    },
  };
}
