// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeModule} from "../../contracts/interfaces/IDisputeModule.sol";
import {Billing} from "../../contracts/libraries/Billing.sol";
import {OfferParams, RentalState} from "../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../utils/DisputeBase.t.sol";
import {AttackerHandler} from "./handlers/AttackerHandler.sol";

/// @notice The money rules against adversaries (SPEC §4.4a) under random sequences of attacks on an honest oracle:
/// see `handlers/AttackerHandler.sol` for the actors and README.md for the invariants.
contract Attackers_Invariant_Test is DisputeBase {
    uint256 internal constant BONDED = 1000e6;

    AttackerHandler internal handler;
    uint64[] internal offers;

    function setUp() public override {
        super.setUp();
        bondAs(provider, BONDED - MIN_BOND);
        OfferParams memory p = defaultOffer(address(usdc));
        p.slaBps = 9900; // on-demand, SLA 99 %: checkpoints hold back credit, terminations are penalized
        p.capacity = 1000;
        vm.prank(provider);
        offers.push(escrow.createOffer(p));
        p.slaBps = 0;
        p.spot = true;
        vm.prank(provider);
        offers.push(escrow.createOffer(p));

        handler = new AttackerHandler(escrow, usdc, attesterKey, provider, renter, offers, BONDED);
        // The adversaries all hold the renter's and the provider's approvals, as the parties themselves would.
        vm.prank(renter);
        usdc.approve(address(disputes), type(uint256).max);
        targetContract(address(handler));
    }

    /// @dev Everything the escrow owes in USDC: the part of open deposits checkpoints did not pay out, offer
    /// accounts, and every credit.
    function _escrowOwes() internal view returns (uint256 owed, uint256 openPaidOut) {
        for (uint256 i; i < handler.count(); ++i) {
            AttackerHandler.Rental memory r = handler.rental(i);
            if (r.closed) continue;
            RentalState memory s = escrow.rentalState(keccak256(abi.encode(r.terms)));
            uint256 paidOut = Billing.paidOut(r.terms.pricePerHour, r.terms.feeBps, r.terms.slaBps, s.paidSeconds);
            owed += s.deposit - paidOut;
            openPaidOut += paidOut;
        }
        uint64 total = escrow.offerCount();
        for (uint64 id = 1; id <= total; ++id) {
            owed += uint256(escrow.offerAccount(id).net) + escrow.offerAccount(id).fees;
        }
        owed += escrow.credit(renter, address(usdc)) + escrow.credit(payout, address(usdc))
        + escrow.credit(treasury, address(usdc));
    }

    /// One campaign checks every rule after every call (256 runs × 200 calls, the seed in foundry.toml).
    /// forge-config: default.invariant.runs = 256
    /// forge-config: default.invariant.depth = 200
    function invariant_AttackersGainNothing() external view {
        // Rules 1–3: for every closed rental the renter paid exactly what the rules give on the oracle's timeline:
        // cost(attested up + unattested tail, at most wall) less the SLA formula on the whole rental (however often
        // anyone checkpointed, however stale the stopping attestation, whatever dispute nobody ruled on), or what
        // checkpoints paid out on a refund.
        uint256 closedPaid;
        for (uint256 i; i < handler.count(); ++i) {
            AttackerHandler.Rental memory r = handler.rental(i);
            if (!r.closed) continue;
            assertEq(r.renterPaid, r.renterOwes, "the renter paid what the rules say, no more, no less");
            closedPaid += r.renterPaid;
        }
        // The provider and the treasury got exactly what renters paid: never a second attested down.
        (uint256 owed, uint256 openPaidOut) = _escrowOwes();
        uint256 earned;
        uint64 total = escrow.offerCount();
        for (uint64 id = 1; id <= total; ++id) {
            earned += uint256(escrow.offerAccount(id).net) + escrow.offerAccount(id).fees;
        }
        assertEq(earned, closedPaid + openPaidOut, "provider + treasury == what renters paid");
        // Conservation: the escrow holds exactly what it owes; the module its bond, open dispute bonds and credits.
        assertEq(usdc.balanceOf(address(escrow)), owed, "escrow balance == owed");
        // Rule 4: the bond only moved by the termination penalty, on the time rented (no top-up raised it); an
        // honest provider is never slashed.
        assertEq(handler.penaltiesTaken(), handler.penaltiesOwed(), "penalty == 10 % of the elapsed cost");
        assertEq(disputes.bondOf(provider, address(usdc)).amount, BONDED - handler.penaltiesTaken(), "bond");
        assertEq(handler.honestSlashes(), 0, "a proof against the honest oracle succeeded");
        // A dispute nobody ruled on cost its opener nothing but the arbitration fee.
        assertEq(handler.disputeBondsLost(), 0, "an unruled dispute kept the opener's bond");
        // Rule 5: no batch reverted, and each paid back exactly the rules' refunds.
        assertEq(handler.batchReverts(), 0, "a keeper's batch reverted");
        assertEq(handler.batchMismatches(), 0, "a batch paid back other than the rules say");
    }

    /// @dev How often each attack ran in the last run (`forge test --mt invariant_AttackersGainNothing -vv`).
    function afterInvariant() external {
        string[11] memory names = [
            "warp",
            "open",
            "frontRunTerminate",
            "stopWithStaleAttestation",
            "providerCheckpoints",
            "dispute",
            "thirdPartyCheckpoints",
            "thirdPartySettles",
            "keeperBatch",
            "fallbackSettles",
            "fallbackRefunds"
        ];
        for (uint256 i; i < names.length; ++i) {
            emit log_named_uint(names[i], handler.calls(keccak256(bytes(names[i]))));
        }
        IDisputeModule.BondAccount memory b = disputes.bondOf(provider, address(usdc));
        emit log_named_uint("bond left", b.amount);
    }
}
