// Money the connected account holds inside the escrow (refunds that could not be delivered, the treasury's fees)
// or the dispute module (slash shares, dispute outcomes and bonds whose transfer failed): one row per token and
// contract, with a withdraw button.
import type { App } from "./app";
import { amount } from "./format";
import { busy, h, replace } from "./ui";

export function creditsView(app: App): HTMLElement {
  const chain = app.chain;
  const list = h("div", { testid: "credits" });
  const render = async () => {
    const rows = [];
    for (const t of await chain.knownTokens()) {
      const [inEscrow, inModule] = await Promise.all([
        chain.escrowRead.credit([chain.account, t.address]),
        chain.disputesRead.credit([chain.account, t.address]),
      ]);
      for (const [c, where] of [
        [inEscrow, "escrow"],
        [inModule, "disputes"],
      ] as const) {
        if (c === 0n) continue;
        const btn = h("button", { testid: "withdraw" }, "Withdraw");
        btn.addEventListener(
          "click",
          () =>
            void busy(btn, async () => {
              const args = [t.address, c] as const;
              const ok = await app.tx(
                `Withdraw ${amount(c, t)}`,
                where === "disputes"
                  ? { address: "disputes", functionName: "withdraw", args }
                  : { functionName: "withdraw", args },
              );
              if (ok) await app.refresh();
            }),
        );
        rows.push(
          h(
            "div",
            { testid: "credit-row", "data-symbol": t.symbol, "data-contract": where },
            h("span", { testid: "credit-amount" }, amount(c, t)),
            where === "disputes" ? " in the dispute module " : " ",
            btn,
          ),
        );
      }
    }
    replace(list, ...(rows.length ? rows : [h("p", { class: "empty" }, "Nothing to withdraw.")]));
  };
  app.onChange(() => void render().catch((e) => app.fail("Credit", e)));
  void render().catch((e) => app.fail("Credit", e));
  return list;
}
