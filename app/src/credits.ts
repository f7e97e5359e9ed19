// Money the connected account holds inside the escrow (refunds that could not be delivered, the treasury's fees):
// one row per token with a withdraw button.
import type { App } from "./app";
import { amount } from "./format";
import { busy, h, replace } from "./ui";

export function creditsView(app: App): HTMLElement {
  const chain = app.chain;
  const list = h("div", { testid: "credits" });
  const render = async () => {
    const rows = [];
    for (const t of await chain.knownTokens()) {
      const c = await chain.read<bigint>("credit", [chain.account, t.address]);
      if (c === 0n) continue;
      const btn = h("button", { testid: "withdraw" }, "Withdraw");
      btn.addEventListener(
        "click",
        () =>
          void busy(btn, async () => {
            if (await app.tx(`Withdraw ${amount(c, t)}`, { functionName: "withdraw", args: [t.address, c] })) {
              await app.refresh();
            }
          }),
      );
      rows.push(
        h(
          "div",
          { testid: "credit-row", "data-symbol": t.symbol },
          h("span", { testid: "credit-amount" }, amount(c, t)),
          " ",
          btn,
        ),
      );
    }
    replace(list, ...(rows.length ? rows : [h("p", { class: "empty" }, "Nothing to withdraw.")]));
  };
  app.onChange(() => void render().catch((e) => app.fail("Credit", e)));
  void render().catch((e) => app.fail("Credit", e));
  return list;
}
