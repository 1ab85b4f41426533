/**
 * Given / When / Then for deciders (pure `decide` + `evolve`), in the style of emmett's
 * DeciderSpecification:
 *
 *   spec.given([...past events]).when(command).then([...expected new events]);
 *   spec.given([...]).when(command).thenThrows((e) => e.code === 'closed');
 */
export interface Decider<S, C, E> {
  initialState: S;
  evolve: (state: S, event: E) => S;
  decide: (command: C, state: S) => E[];
}

export function deciderSpec<S, C, E>(decider: Decider<S, C, E>) {
  return {
    given(events: E[]) {
      const state = events.reduce(decider.evolve, decider.initialState);
      return {
        when(command: C) {
          const run = () => decider.decide(command, state);
          return {
            /** asserts the new events equal `expected` (deep equality) and returns them */
            then(expected: E[] | ((events: E[]) => void)): E[] {
              const got = run();
              if (typeof expected === 'function') expected(got);
              else expect(got).toEqual(expected);
              return got;
            },
            /** asserts that deciding throws an error matching `match` */
            thenThrows<X extends Error>(match: (e: X) => boolean): void {
              let thrown: unknown;
              try {
                run();
              } catch (e) {
                thrown = e;
              }
              expect(thrown).toBeInstanceOf(Error);
              expect(match(thrown as X)).toBe(true);
            },
          };
        },
      };
    },
  };
}
