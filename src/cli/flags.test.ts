import assert from 'node:assert/strict'
import { resolve } from 'node:path'
import { describe, it } from 'node:test'
import { Command, InvalidArgumentError } from 'commander'
import {
  duration,
  integer,
  labelMap,
  labelSelector,
  listenAddress,
  localRepoInit,
  parseSize,
  path,
} from './flags.js'
import { registerOperatorCommand } from './operator.js'
import { registerServeCommand } from './serve.js'
import { registerSyncerCommand } from './syncer.js'

describe('flag parsers', () => {
  const accepted: { name: string; parse: (text: string) => unknown; text: string; value: unknown }[] = [
    {
      name: 'host:port',
      parse: listenAddress,
      text: '127.0.0.1:8080',
      value: { host: '127.0.0.1', port: 8080 },
    },
    {
      name: ':port listens on every address',
      parse: listenAddress,
      text: ':8080',
      value: { host: '0.0.0.0', port: 8080 },
    },
    { name: 'a bracketed IPv6 host', parse: listenAddress, text: '[::1]:0', value: { host: '::1', port: 0 } },
    { name: 'a size with a binary unit', parse: parseSize, text: '100MiB', value: 100 * 1024 ** 2 },
    { name: 'a duration with units', parse: duration, text: '1h30m', value: 5_400_000 },
    { name: 'a whole number in range', parse: integer(1, 100), text: '100', value: 100 },
    {
      name: 'a relative path, made absolute against the working directory',
      parse: path,
      text: 'a/b',
      value: resolve('a/b'),
    },
    {
      name: 'name=dir, the directory made absolute',
      parse: localRepoInit,
      text: 'ex=site',
      value: { name: 'ex', dir: resolve('site') },
    },
    {
      name: 'label=value pairs, keys with a prefix',
      parse: labelMap,
      text: 'app.kubernetes.io/name=traefik,tier=edge',
      value: { 'app.kubernetes.io/name': 'traefik', tier: 'edge' },
    },
    ...[
      'hostplane.dev/test-run=pipe-1a2b3c',
      'tier==shared,size!=large',
      'env in (a, b),tier notin (dedicated),!legacy,team',
      'app=',
    ].map((text) => ({
      name: `the label selector ${text}, as given`,
      parse: labelSelector,
      text,
      value: text,
    })),
  ]
  for (const c of accepted) it(`accepts ${c.name}`, () => assert.deepEqual(c.parse(c.text), c.value))

  const refused: { name: string; parse: (text: string) => unknown; text: string; message: RegExp }[] = [
    {
      name: 'a listen address without a port',
      parse: listenAddress,
      text: 'nonsense',
      message: /nonsense is not host:port/,
    },
    { name: 'a port above 65535', parse: listenAddress, text: ':70000', message: /is not host:port/ },
    {
      name: 'a duration without a unit (help shows 10s, not 10000)',
      parse: duration,
      text: '10000',
      message: /not a duration such as 30s/,
    },
    {
      name: 'a size with an unknown unit',
      parse: parseSize,
      text: '1 parsec',
      message: /not a size such as 1GiB/,
    },
    {
      name: 'a fraction where a whole number is needed',
      parse: integer(1),
      text: '1.5',
      message: /1\.5 is not a whole number of at least 1/,
    },
    {
      name: 'a number out of range',
      parse: integer(1, 100),
      text: '101',
      message: /101 is not a whole number from 1 to 100/,
    },
    { name: 'name=dir without a directory', parse: localRepoInit, text: 'example', message: /not name=dir/ },
    {
      name: 'a label without a value',
      parse: labelMap,
      text: 'app',
      message: /not a comma-separated list of label=value/,
    },
    { name: 'a label value with a space', parse: labelMap, text: 'app=a b', message: /label=value pairs/ },
    ...[
      ['an empty label selector', ''],
      ['a label selector with a value holding a space', 'app=a b'],
      ['a label selector with a key holding a space', 'my app=web'],
      ['a label selector with an empty requirement', 'app=web,'],
      ['a label selector with an empty set', 'env in ()'],
      ['a label selector with an unclosed set', 'env in (a,b'],
      ['a label selector with two operators', 'app=web=x'],
      ['a label selector negating a comparison', '!app=web'],
    ].map(([name = '', text = '']) => ({
      name,
      parse: labelSelector,
      text,
      message: /' is not a label selector: comma-separated key=value, key!=value, key in \(a,b\)/,
    })),
  ]
  for (const c of refused)
    it(`refuses ${c.name}, saying what is accepted`, () =>
      assert.throws(
        () => c.parse(c.text),
        (error: Error) => error instanceof InvalidArgumentError && c.message.test(error.message),
      ))
})

describe('help shows each default as its flag accepts it', () => {
  const program = new Command()
  registerOperatorCommand(program)
  registerServeCommand(program)
  registerSyncerCommand(program)
  for (const command of program.commands)
    for (const option of command.options.filter((o) => o.defaultValueDescription !== undefined && o.parseArg))
      it(`hostplane ${command.name()} ${option.long} ${option.defaultValueDescription} gives the default value`, () => {
        const parse = option.parseArg as (value: string, previous: unknown) => unknown
        assert.deepEqual(parse(option.defaultValueDescription as string, undefined), option.defaultValue)
      })

  it('no flag shows a default without being able to parse it', () => {
    for (const command of program.commands)
      for (const option of command.options)
        if (
          option.defaultValue !== undefined &&
          typeof option.defaultValue !== 'string' &&
          typeof option.defaultValue !== 'boolean'
        )
          assert.ok(
            option.defaultValueDescription,
            `hostplane ${command.name()} ${option.long} shows a parsed default`,
          )
  })
})
