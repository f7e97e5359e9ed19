// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeModule} from "../../contracts/interfaces/IDisputeModule.sol";
import {Billing} from "../../contracts/libraries/Billing.sol";
import {OfferParams, RentalState, RentalStatus} from "../../contracts/types/DataTypes.sol";
import {BlacklistToken} from "../mocks/BlacklistToken.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {Base} from "../utils/Base.t.sol";
import {DisputeHandler} from "./handlers/DisputeHandler.sol";
import {RentalHandler} from "./handlers/RentalHandler.sol";
import {RentalStore} from "./stores/RentalStore.sol";

/// @notice The escrow's money invariants under random sequences of every rental action (see README.md).
contract Escrow_Invariant_Test is Base {
    RentalHandler internal handler;
    DisputeHandler internal disputeHandler;
    RentalStore internal store;
    address[] internal tokens;
    uint64[] internal offers;
    address[] internal renters;

    function setUp() public override {
        super.setUp();
        BlacklistToken busd = new BlacklistToken(); // 6 decimals
        MockERC20 dai = MockERC20(deployCode(TOKEN_ARTIFACT, abi.encode("Dai", "DAI", uint8(18))));
        tokens.push(address(busd));
        tokens.push(address(dai));
        // Offers need a bond: the provider bonds the minimum in both tokens first; disputes cost a bond too.
        vm.startPrank(owner);
        disputes.setMinBond(address(busd), 100e6);
        disputes.setMinBond(address(dai), 100e18);
        disputes.setDisputeBond(address(busd), 5e6);
        disputes.setDisputeBond(address(dai), 5e18);
        vm.stopPrank();
        busd.mint(provider, 1e15);
        dai.mint(provider, 1e27);
        vm.startPrank(provider);
        busd.approve(address(disputes), type(uint256).max);
        dai.approve(address(disputes), type(uint256).max);
        disputes.bond(address(busd), 100e6);
        disputes.bond(address(dai), 100e18);
        vm.stopPrank();
        offers.push(_offer(address(busd), 2_500_000)); // 2.50 per hour, SLA 99 %: checkpoints hold back credit
        offers.push(_offer(address(dai), 3.3e18)); // 3.30 per hour, not a multiple of 3600

        for (uint256 i; i < 3; ++i) {
            address r = makeAddr(string.concat("renter ", vm.toString(i)));
            renters.push(r);
            busd.mint(r, 1e15);
            dai.mint(r, 1e27);
            vm.startPrank(r);
            busd.approve(address(escrow), type(uint256).max);
            dai.approve(address(escrow), type(uint256).max);
            busd.approve(address(disputes), type(uint256).max);
            dai.approve(address(disputes), type(uint256).max);
            vm.stopPrank();
        }

        store = new RentalStore();
        handler = new RentalHandler(escrow, store, attesterKey, provider, treasury, payout, renters, offers, tokens);
        store.recordBond(address(busd), 100e6);
        store.recordBond(address(dai), 100e18);
        disputeHandler = new DisputeHandler(
            escrow,
            committee,
            store,
            handler,
            DisputeHandler.Actors({
                owner: owner,
                provider: provider,
                payout: payout,
                treasury: treasury,
                keeper: keeper,
                judge1: judge1,
                judge2: judge2
            }),
            renters,
            tokens
        );
        // Every run starts with six rentals open, on both offers and by every renter.
        for (uint256 i; i < 6; ++i) {
            handler.open(i, i, 600 + i * 2011);
        }
        targetContract(address(handler));
        targetContract(address(disputeHandler));
        bytes4[] memory selectors = new bytes4[](13);
        selectors[0] = RentalHandler.open.selector;
        selectors[1] = RentalHandler.extend.selector;
        selectors[2] = RentalHandler.stop.selector;
        selectors[3] = RentalHandler.terminate.selector;
        selectors[4] = RentalHandler.checkpoint.selector;
        selectors[5] = RentalHandler.settle.selector;
        selectors[6] = RentalHandler.stopAndSettle.selector;
        selectors[7] = RentalHandler.refund.selector;
        selectors[8] = RentalHandler.claimEarnings.selector;
        selectors[9] = RentalHandler.collectFees.selector;
        selectors[10] = RentalHandler.withdraw.selector;
        selectors[11] = RentalHandler.blacklist.selector;
        selectors[12] = RentalHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        bytes4[] memory disputeSelectors = new bytes4[](10);
        disputeSelectors[0] = DisputeHandler.bond.selector;
        disputeSelectors[1] = DisputeHandler.requestUnbond.selector;
        disputeSelectors[2] = DisputeHandler.withdrawBond.selector;
        disputeSelectors[3] = DisputeHandler.openDispute.selector;
        disputeSelectors[4] = DisputeHandler.rule.selector;
        disputeSelectors[5] = DisputeHandler.executeRuling.selector;
        disputeSelectors[6] = DisputeHandler.tryMoveFrozen.selector;
        disputeSelectors[7] = DisputeHandler.tryProveAgainstHonest.selector;
        disputeSelectors[8] = DisputeHandler.ownerActs.selector;
        disputeSelectors[9] = DisputeHandler.settleFallback.selector;
        targetSelector(FuzzSelector({addr: address(disputeHandler), selectors: disputeSelectors}));
    }

    function _offer(address token, uint96 price) internal returns (uint64 id) {
        vm.prank(owner);
        escrow.setTokenAllowed(token, true);
        OfferParams memory p = defaultOffer(token);
        p.pricePerHour = price;
        if (offers.length == 0) p.slaBps = 9900;
        vm.prank(provider);
        id = escrow.createOffer(p);
    }

    /// @dev What the escrow owes in `token`: remaining deposits of open rentals, offer accounts, credits.
    function _owed(address token) internal view returns (uint256 owed) {
        for (uint256 i; i < store.count(); ++i) {
            RentalStore.Record memory r = store.get(i);
            if (r.closed || r.terms.token != token) continue;
            RentalState memory s = escrow.rentalState(keccak256(abi.encode(r.terms)));
            owed += s.deposit - _paidOut(r, s.paidSeconds);
        }
        for (uint256 i; i < offers.length; ++i) {
            if (escrow.offer(offers[i]).token != token) continue;
            owed += uint256(escrow.offerAccount(offers[i]).net) + escrow.offerAccount(offers[i]).fees;
        }
        owed += escrow.credit(treasury, token) + escrow.credit(payout, token);
        for (uint256 i; i < renters.length; ++i) {
            owed += escrow.credit(renters[i], token);
        }
    }

    /// @dev Sum over open rentals of the deposit and of what checkpoints already paid.
    function _open(address token) internal view returns (uint256 deposits, uint256 paid) {
        for (uint256 i; i < store.count(); ++i) {
            RentalStore.Record memory r = store.get(i);
            if (r.closed || r.terms.token != token) continue;
            RentalState memory s = escrow.rentalState(keccak256(abi.encode(r.terms)));
            deposits += s.deposit;
            paid += _paidOut(r, s.paidSeconds);
        }
    }

    /// @dev What checkpoints took out of rental `r`'s deposit for `paidSeconds` (the SLA hold-back stays in it).
    function _paidOut(RentalStore.Record memory r, uint256 paidSeconds) internal pure returns (uint256) {
        return Billing.paidOut(r.terms.pricePerHour, r.terms.feeBps, r.terms.slaBps, paidSeconds);
    }

    /// Per token, the escrow holds at least everything it still owes (exactly that: nobody donates here).
    function invariant_EscrowBalanceCoversEverythingOwed() external view {
        for (uint256 k; k < tokens.length; ++k) {
            uint256 balance = MockERC20(tokens[k]).balanceOf(address(escrow));
            uint256 owed = _owed(tokens[k]);
            assertGe(balance, owed, "balance >= owed");
            assertEq(balance, owed, "balance == owed");
        }
    }

    /// Per token, provider payouts + fees + refunds == deposits of closed rentals + the paid part of open ones, and
    /// the ghost ledger of transfers in and out matches the escrow's balance.
    function invariant_Conservation() external view {
        for (uint256 k; k < tokens.length; ++k) {
            address token = tokens[k];
            (uint256 openDeposits, uint256 openPaid) = _open(token);
            uint256 refunds = store.refundsPushed(token) + store.refundsCredited(token) + store.resolvedRenter(token);
            assertEq(store.accrued(token) + refunds, store.closedDeposits(token) + openPaid, "conservation");
            assertEq(store.depositsIn(token), store.closedDeposits(token) + openDeposits, "deposits");
            assertEq(
                MockERC20(token).balanceOf(address(escrow)),
                store.depositsIn(token) - store.refundsPushed(token) - store.claimedNet(token) - store.withdrawn(token)
                    - store.resolvedOut(token),
                "ghost ledger"
            );
        }
    }

    /// No rental is billed above wall-clock seconds × price: closed ones on their end, open ones so far.
    function invariant_NoRentalBilledAboveWallTime() external view {
        for (uint256 i; i < store.count(); ++i) {
            RentalStore.Record memory r = store.get(i);
            if (r.closed) {
                // A dispute outcome may give the provider the whole unpaid deposit: no wall-clock bound then.
                if (!r.resolved) assertLe(r.charged, r.wallCost, "charged <= cost(wall)");
                assertEq(r.charged + r.refund, r.deposit, "charged + refund == deposit");
            } else {
                RentalState memory s = escrow.rentalState(keccak256(abi.encode(r.terms)));
                assertLe(s.paidSeconds, block.timestamp - r.terms.startedAt, "paid <= elapsed");
                assertLe(_paidOut(r, s.paidSeconds), s.deposit, "paid <= deposit");
                assertEq(r.charged, _paidOut(r, s.paidSeconds), "charged == paidOut(paid)");
            }
        }
    }

    /// Nothing is paid twice: a closed rental's state is gone and every attempt to settle or refund it again
    /// reverted with GpuEscrow_RentalNotActive.
    function invariant_NothingPaidTwice() external view {
        assertEq(store.doubleCloses(), 0, "double close");
        for (uint256 i; i < store.count(); ++i) {
            RentalStore.Record memory r = store.get(i);
            RentalState memory s = escrow.rentalState(keccak256(abi.encode(r.terms)));
            RentalStatus expected = r.closed ? RentalStatus.None : r.frozen ? RentalStatus.Frozen : RentalStatus.Active;
            assertEq(uint8(s.status), uint8(expected), "status");
        }
    }

    /// Each offer's activeRentals equals the number of its open rentals.
    function invariant_ActiveRentalsMatchOpenRentals() external view {
        for (uint256 k; k < offers.length; ++k) {
            uint256 open;
            for (uint256 i; i < store.count(); ++i) {
                RentalStore.Record memory r = store.get(i);
                if (!r.closed && r.terms.offerId == offers[k]) open++;
            }
            assertEq(escrow.offerAccount(offers[k]).activeRentals, open, "activeRentals");
        }
    }

    /*//////////////////////////////////////////////////////////////
                              BONDS AND DISPUTES
    //////////////////////////////////////////////////////////////*/

    /// @dev Sum over open disputes of their bonds, in `token`.
    function _openDisputeBonds(address token) internal view returns (uint256 total) {
        for (uint256 i; i < store.count(); ++i) {
            RentalStore.Record memory r = store.get(i);
            if (r.closed || !r.frozen || r.terms.token != token) continue;
            total += disputes.dispute(keccak256(abi.encode(r.terms))).bond;
        }
    }

    /// Per token, escrow and module together hold exactly what came in (deposits, bonds, dispute bonds) less what
    /// went out to anyone (refunds, earnings, withdrawals, bonds withdrawn, penalties, dispute bonds returned or
    /// forfeited, dispute outcomes) — payments the module could not deliver stay in it as credit; and the module's
    /// balance is exactly what it owes: bonds, open dispute bonds and credits.
    function invariant_ConservationAcrossEscrowAndModule() external view {
        for (uint256 k; k < tokens.length; ++k) {
            address token = tokens[k];
            uint256 moduleBalance = MockERC20(token).balanceOf(address(disputes));
            uint256 credits = disputeHandler.moduleCreditsOf(token);
            uint256 inflow = store.depositsIn(token) + store.bondsIn(token) + store.disputeBondsIn(token);
            uint256 outflow = store.refundsPushed(token) + store.claimedNet(token) + store.withdrawn(token)
                + store.bondsOut(token) + store.penalties(token) + store.disputeBondsOut(token)
                + store.resolvedPaid(token);
            assertEq(
                MockERC20(token).balanceOf(address(escrow)) + moduleBalance + outflow,
                inflow + credits,
                "in == out + held"
            );
            uint256 bonded = disputes.bondOf(provider, token).amount;
            assertEq(moduleBalance, bonded + _openDisputeBonds(token) + credits, "module balance == owed");
            assertEq(
                store.disputeBondsIn(token) - store.disputeBondsOut(token), _openDisputeBonds(token), "dispute bonds"
            );
        }
    }

    /// A frozen rental's money never moves without a ruling or a passed deadline: its state is what it was when frozen,
    /// every escrow action on it reverted, and executeRuling succeeded exactly when it was due.
    function invariant_FrozenMoneyNeverMoves() external view {
        assertEq(store.frozenMoved(), 0, "frozen money moved");
        for (uint256 i; i < store.count(); ++i) {
            RentalStore.Record memory r = store.get(i);
            if (r.closed || !r.frozen) continue;
            RentalState memory s = escrow.rentalState(keccak256(abi.encode(r.terms)));
            assertEq(uint8(s.status), uint8(RentalStatus.Frozen), "frozen");
            assertEq(s.deposit, r.frozenDeposit, "deposit unchanged");
            assertEq(s.paidSeconds, r.frozenPaidSeconds, "nothing paid");
        }
    }

    /// The honest provider (its attester never signs a contradiction or another model) is never slashed: every proof
    /// against it failed, and its bond is exactly what it bonded less what it withdrew and termination penalties.
    function invariant_HonestBondNeverSlashed() external view {
        assertEq(store.honestSlashes(), 0, "a proof against the honest provider succeeded");
        assertEq(disputes.reputation(provider).slashes, 0, "slashes");
        for (uint256 k; k < tokens.length; ++k) {
            address token = tokens[k];
            assertEq(
                disputes.bondOf(provider, token).amount,
                store.bondsIn(token) - store.bondsOut(token) - store.penalties(token),
                "bond"
            );
        }
    }

    /// Owner calls on the module and the escrow never change a bond.
    function invariant_OwnerCannotTouchBonds() external view {
        assertEq(store.ownerMovedBonds(), 0, "an owner call changed a bond");
    }

    /// @dev How often each action ran and closed what, in the last run (`forge test --mt invariant_Conservation -vv`).
    function afterInvariant() external {
        string[13] memory names = [
            "open",
            "extend",
            "stop",
            "terminate",
            "checkpoint",
            "settle",
            "stopAndSettle",
            "refund",
            "claimEarnings",
            "collectFees",
            "withdraw",
            "blacklist",
            "warp"
        ];
        for (uint256 i; i < names.length; ++i) {
            emit log_named_uint(names[i], handler.calls(keccak256(bytes(names[i]))));
        }
        string[10] memory disputeActions = [
            "bond",
            "requestUnbond",
            "withdrawBond",
            "openDispute",
            "rule",
            "executeRuling",
            "tryMoveFrozen",
            "tryProveAgainstHonest",
            "ownerActs",
            "settleFallback"
        ];
        for (uint256 i; i < disputeActions.length; ++i) {
            emit log_named_uint(disputeActions[i], disputeHandler.calls(keccak256(bytes(disputeActions[i]))));
        }
        emit log_named_uint("closed retries (all reverted)", store.closedRetries());
        emit log_named_uint("credited refunds, token 0", store.refundsCredited(tokens[0]));
    }
}
