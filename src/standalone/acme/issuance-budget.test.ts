import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { IssuanceBudget } from './issuance-budget.js'

const HOUR = 3_600_000

describe('IssuanceBudget', () => {
  it('allows the limit of orders in a window and refuses the next one', () => {
    const budget = new IssuanceBudget(3, HOUR)
    assert.deepEqual(
      [0, 1, 2, 3].map((t) => budget.tryTake(t)),
      [true, true, true, false],
    )
  })

  it('names the time the oldest order leaves the window as the next slot', () => {
    const budget = new IssuanceBudget(2, HOUR)
    budget.tryTake(100)
    budget.tryTake(200)
    assert.equal(budget.nextSlot(300), 100 + HOUR)
    assert.equal(budget.tryTake(100 + HOUR), true)
  })

  it('has a slot now while orders are left', () => {
    const budget = new IssuanceBudget(2, HOUR)
    budget.tryTake(0)
    assert.equal(budget.nextSlot(50), 50)
  })

  it('counts the orders of a previous run it is given', () => {
    const budget = new IssuanceBudget(2, HOUR, [1000, 500])
    assert.equal(budget.tryTake(2000), false)
    assert.deepEqual(budget.taken(), [500, 1000])
  })

  it('forgets orders older than the window and times from the future (a clock set back)', () => {
    const budget = new IssuanceBudget(1, HOUR, [5 * HOUR])
    assert.equal(budget.tryTake(HOUR), true)
    assert.deepEqual(budget.taken(), [HOUR])
  })

  it('refuses a budget below one order or a window that is not positive', () => {
    assert.throws(() => new IssuanceBudget(0, HOUR), /at least 1/)
    assert.throws(() => new IssuanceBudget(1, 0), /window must be positive/)
  })
})
