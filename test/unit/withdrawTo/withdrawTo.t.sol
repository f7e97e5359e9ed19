// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICreditLedger} from "../../../contracts/interfaces/ICreditLedger.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OpenParams, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {RevertingReceiver} from "../../mocks/RevertingReceiver.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {Base} from "../../utils/Base.t.sol";

contract WithdrawTo_Unit_Test is Base {
    address internal cold = makeAddr("cold wallet");

    /// @dev A contract renter that refuses the native coin: its refund of a 2-coin rental settled after 30 min is
    /// credited instead of pushed.
    function nativeRefundCredited() internal returns (RevertingReceiver r, uint256 amount) {
        uint64 o = createOfferIn(address(0), 1e18);
        r = new RevertingReceiver();
        vm.deal(address(r), 10 ether);
        vm.recordLogs();
        r.execute(
            address(escrow),
            2e18,
            abi.encodeCall(escrow.open, (OpenParams({offerId: o, deposit: 2e18, salt: "n"}), ED25519_ACCESS_KEY))
        );
        RentalTerms memory t = openedTerms();
        vm.warp(t.startedAt + 1800);
        Usage memory u = usageAt(1, uint64(block.timestamp), 1800);
        r.execute(address(escrow), 0, abi.encodeCall(escrow.stopAndSettle, (t, u, signUsage(t, u))));
        amount = 1.5e18;
        assertEq(escrow.credit(address(r), address(0)), amount);
    }

    function test_RevertWhen_ZeroRecipient() external {
        vm.expectRevert(Errors.GpuEscrow_ZeroAddress.selector);
        vm.prank(treasury);
        escrow.withdrawTo(address(usdc), address(0), 0);
    }

    function test_RevertWhen_AmountAboveCredit() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_InsufficientCredit.selector, keeper, address(usdc), 1, 0)
        );
        vm.prank(keeper);
        escrow.withdrawTo(address(usdc), cold, 1);
    }

    function test_WhenNativeReceiverRefusesTheCoin() external {
        // Before withdrawTo, `withdraw` could only pay the contract itself, which refuses: the credit was stranded.
        (RevertingReceiver r, uint256 amount) = nativeRefundCredited();
        vm.expectEmit(address(escrow));
        emit ICreditLedger.Withdrawn(address(r), address(0), cold, amount);
        r.execute(address(escrow), 0, abi.encodeCall(escrow.withdrawTo, (address(0), cold, amount)));
        assertEq(cold.balance, amount);
        assertEq(escrow.credit(address(r), address(0)), 0);
    }
}
