import assert from 'node:assert/strict';
import { test } from 'node:test';

import { debugQuote, parseInput, renderOutput, utf8ValidUpTo } from '../src/protocol.js';

const err = (bytes) => {
  try {
    parseInput(Buffer.from(bytes), 'stdin');
  } catch (e) {
    return e.message;
  }
  assert.fail('accepted');
};

test('strings pass in key order and nulls vanish', () => {
  assert.deepEqual(parseInput(Buffer.from('{"suffix":null,"id":"ftjob-1","a":"x"}'), 'stdin'), [
    ['a', 'x'],
    ['id', 'ftjob-1'],
  ]);
});

test('everything else is refused with the native messages', () => {
  assert.equal(
    err('{"n":3}'),
    'invalid input "n" on stdin: expected a string, got a number; pass structured values through jsonencode() and numbers as strings',
  );
  assert.match(err('{"a":{"b":"c"}}'), /got an object/);
  assert.equal(err('["a"]'), 'invalid input on stdin: expected a JSON object of strings, got an array');
  assert.equal(
    err([0x7b, 0xff, 0xfe]),
    'invalid input on stdin: not UTF-8 (byte 1); send one JSON object of strings',
  );
  assert.equal(
    err('  \n'),
    'no input on stdin: send one JSON object of strings, for example {"id": "ftjob-abc123"}',
  );
  assert.match(err('{"a":"b"} x'), /^invalid input on stdin: .*; send exactly one JSON object of strings$/);
});

test('the first invalid UTF-8 byte is found as Rust finds it', () => {
  assert.equal(utf8ValidUpTo(Buffer.from('héllo')), null);
  assert.equal(utf8ValidUpTo(Buffer.from([0x61, 0xe2, 0x82])), 1); // truncated sequence
  assert.equal(utf8ValidUpTo(Buffer.from([0x61, 0xed, 0xa0, 0x80])), 1); // a surrogate
  assert.equal(utf8ValidUpTo(Buffer.from([0xc0, 0x80])), 0); // overlong
  assert.equal(utf8ValidUpTo(Buffer.from([0xf0, 0x9f, 0x98, 0x80, 0xff])), 4);
});

test('output is one flat line in byte order, as serde_json renders it', () => {
  assert.equal(
    renderOutput([
      ['b', ''],
      ['a', 'x\ny"\u0001\u007f/é'],
      ['10', 'n'],
      ['2', 'n'],
    ]),
    '{"10":"n","2":"n","a":"x\\ny\\"\\u0001\u007f/é","b":""}',
  );
  assert.equal(renderOutput([['k', '1'], ['k', '2']]), '{"k":"2"}');
});

test('offending input is quoted as Rust quotes it', () => {
  assert.equal(debugQuote('a"b\\c\n\t\u0000\u0007é'), '"a\\"b\\\\c\\n\\t\\0\\u{7}é"');
});
