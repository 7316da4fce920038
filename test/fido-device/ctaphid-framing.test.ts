import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CTAPHID, CTAPHID_ERR, CtapHidAssembler, MAX_MESSAGE_SIZE, splitMessage } from '../../src/protocol/ctaphid/index.js';
import { CborError, decodeCbor, encodeCbor } from '../../src/protocol/cbor.js';
import { CTAP2_STATUS, ctap2StatusName } from '../../src/protocol/ctap-status.js';

function assemble(packets: Uint8Array[]) {
  const asm = new CtapHidAssembler();
  const results = packets.map((p) => asm.push(p));
  return results[results.length - 1]!;
}

describe('CTAPHID framing', () => {
  it('assemble(split(m)) = m for every message size up to 7609', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0x7f }), fc.uint8Array({ maxLength: MAX_MESSAGE_SIZE }), (cid, cmd, data) => {
        const packets = splitMessage(cid, cmd, data);
        expect(packets.every((p) => p.length === 64)).toBe(true);
        expect(assemble(packets)).toEqual({ kind: 'message', cid, cmd, data });
      }),
      { numRuns: 200 },
    );
  });

  it('lays out init and continuation packets as §11.2.4 says', () => {
    const data = Uint8Array.from({ length: 60 }, (_, i) => i);
    const [init, cont] = splitMessage(0x11223344, CTAPHID.PING, data);
    expect([...init!.subarray(0, 7)]).toEqual([0x11, 0x22, 0x33, 0x44, 0x81, 0x00, 60]);
    expect(init![63]).toBe(56);
    expect([...cont!.subarray(0, 8)]).toEqual([0x11, 0x22, 0x33, 0x44, 0x00, 57, 58, 59]);
    expect(cont![8]).toBe(0);
    expect(splitMessage(1, 1, new Uint8Array(MAX_MESSAGE_SIZE))).toHaveLength(129);
    expect(() => splitMessage(1, 1, new Uint8Array(MAX_MESSAGE_SIZE + 1))).toThrow(RangeError);
  });

  it('reports a wrong sequence number and a foreign channel mid-message', () => {
    const packets = splitMessage(7, CTAPHID.CBOR, new Uint8Array(200));
    const asm = new CtapHidAssembler();
    expect(asm.push(packets[0]!).kind).toBe('pending');
    expect(asm.push(splitMessage(9, CTAPHID.PING, new Uint8Array(1))[0]!)).toMatchObject({ kind: 'error', cid: 9, code: CTAPHID_ERR.ERR_CHANNEL_BUSY });
    expect(asm.push(packets[2]!)).toMatchObject({ kind: 'error', cid: 7, code: CTAPHID_ERR.ERR_INVALID_SEQ });
    expect(asm.busyCid).toBeUndefined();
    expect(asm.push(packets[1]!)).toEqual({ kind: 'ignored', cid: 7 });
    expect(asm.push(new Uint8Array(10))).toMatchObject({ kind: 'error', code: CTAPHID_ERR.ERR_INVALID_LEN });
    const big = new Uint8Array(64);
    big.set([0, 0, 0, 7, 0x81, 0xff, 0xff]);
    expect(asm.push(big)).toMatchObject({ kind: 'error', code: CTAPHID_ERR.ERR_INVALID_LEN });
  });
});

describe('CTAP2 canonical CBOR', () => {
  it('sorts keys length-first and round-trips', () => {
    const cose = new Map<number, unknown>([[-3, new Uint8Array(2)], [1, 2], [-1, 1], [3, -7], [-2, new Uint8Array(2)]]);
    const bytes = encodeCbor(cose);
    expect(Buffer.from(bytes).toString('hex')).toBe('a50102032620012142000022420000');
    expect([...(decodeCbor(bytes) as Map<number, unknown>).keys()]).toEqual([1, 3, -1, -2, -3]);
    expect(Buffer.from(encodeCbor({ bb: 1, a: 2, ccc: 3 })).toString('hex')).toBe('a3616102626262016363636303');
  });

  it('rejects duplicate keys, indefinite lengths, non-shortest integers and trailing bytes', () => {
    expect(() => decodeCbor(Uint8Array.from([0xa2, 0x01, 0x01, 0x01, 0x02]))).toThrow(CborError);
    expect(() => decodeCbor(Uint8Array.from([0x9f, 0x01, 0xff]))).toThrow(CborError);
    expect(() => decodeCbor(Uint8Array.from([0x18, 0x01]))).toThrow(CborError);
    expect(() => decodeCbor(Uint8Array.from([0x01, 0x01]))).toThrow(CborError);
    expect(() => decodeCbor(Uint8Array.from([0xa2, 0x02, 0x01, 0x01, 0x02]))).toThrow(CborError);
    expect(decodeCbor(Uint8Array.from([0xa2, 0x01, 0x02, 0x02, 0x01]))).toEqual(new Map([[1, 2], [2, 1]]));
  });

  it('names status codes and keeps unknown ones', () => {
    expect(CTAP2_STATUS.CTAP2_ERR_PIN_INVALID).toBe(0x31);
    expect(ctap2StatusName(0x31)).toBe('CTAP2_ERR_PIN_INVALID');
    expect(ctap2StatusName(0x99)).toBe('0x99');
  });
});
